# shellcheck shell=bash
# Source this file (bash), from any directory, before building or running musearch with libtorch:
#
#     source scripts/env.sh
#
# It points the build at the PyTorch wheel in the project's virtual environment
# ($MUSEARCH_VENV, default <repo>/.venv, made by scripts/setup-libtorch.sh):
#
# * LIBTORCH_USE_PYTORCH=1 makes torch-sys's build script ask Python where libtorch is.
#   torch-sys runs the bare command `python` when VIRTUAL_ENV is set and `python3` otherwise
#   (it honours no PYTHON variable), so the venv's bin/ goes first on PATH and VIRTUAL_ENV is set.
# * LD_LIBRARY_PATH gets the wheel's torch/lib, so binaries and test binaries find libtorch*.so at
#   run time. The CUDA libraries (nvidia-* wheels) are found through libtorch_cuda.so's own RPATH.
#
# Trap: torch-sys does not re-run its build script when PATH or VIRTUAL_ENV change, only when
# LIBTORCH* variables do. After switching to another venv, run `cargo clean -p torch-sys`.
#
# Set MUSEARCH_ENV_QUIET=1 to silence the summary line on stderr.

_musearch_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MUSEARCH_VENV="${MUSEARCH_VENV:-$_musearch_root/.venv}"

if [ ! -x "$MUSEARCH_VENV/bin/python" ]; then
    echo "scripts/env.sh: no virtual environment at $MUSEARCH_VENV; run scripts/setup-libtorch.sh first" >&2
    unset _musearch_root
    return 1 2>/dev/null || exit 1
fi

# Where the wheel's shared libraries are, found without importing torch (that takes seconds).
_musearch_torch_lib="$("$MUSEARCH_VENV/bin/python" -c 'import importlib.util, os
spec = importlib.util.find_spec("torch")
print(os.path.join(os.path.dirname(spec.origin), "lib") if spec and spec.origin else "")')"
if [ -z "$_musearch_torch_lib" ] || [ ! -d "$_musearch_torch_lib" ]; then
    echo "scripts/env.sh: torch is not installed in $MUSEARCH_VENV; run scripts/setup-libtorch.sh" >&2
    unset _musearch_root _musearch_torch_lib
    return 1 2>/dev/null || exit 1
fi

export VIRTUAL_ENV="$MUSEARCH_VENV"
case ":${PATH:-}:" in
    *":$MUSEARCH_VENV/bin:"*) ;;
    *) export PATH="$MUSEARCH_VENV/bin${PATH:+:$PATH}" ;;
esac
export LIBTORCH_USE_PYTORCH=1
export MUSEARCH_TORCH_LIB="$_musearch_torch_lib"
case ":${LD_LIBRARY_PATH:-}:" in
    *":$_musearch_torch_lib:"*) ;;
    *) export LD_LIBRARY_PATH="$_musearch_torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ;;
esac

if [ -z "${MUSEARCH_ENV_QUIET:-}" ]; then
    echo "musearch env: venv $MUSEARCH_VENV, libtorch $_musearch_torch_lib" >&2
fi
unset _musearch_root _musearch_torch_lib
