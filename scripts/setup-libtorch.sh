#!/usr/bin/env bash
# Make the virtual environment that provides libtorch to the build: PyTorch 2.11.0 from PyPI
# (the version tch 0.24 is written against). Idempotent: does nothing when the venv already has
# exactly that version.
#
#     scripts/setup-libtorch.sh            # venv at $MUSEARCH_VENV, default <repo>/.venv
#     source scripts/env.sh                # then build: cargo build / scripts/test.sh
#
# Variables:
#   MUSEARCH_VENV   where the venv goes (default <repo>/.venv)
#   PYTHON          the interpreter that creates it (default python3; needs the venv module,
#                   Debian's python3-venv)
#   TORCH_INDEX_URL optional pip index to take torch from (default: PyPI, whose Linux x86_64
#                   wheel is the CUDA 13 build; it also runs on machines without a GPU)
#
# Prints on stdout the variables the build needs, as `export` lines.
set -euo pipefail

TORCH_VERSION=2.11.0
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${MUSEARCH_VENV:-$root/.venv}"
python="${PYTHON:-python3}"

installed_torch_version() {
    # The version pip recorded, without importing torch (which takes seconds).
    "$venv/bin/python" - <<'PY' 2>/dev/null || true
import importlib.metadata
try:
    print(importlib.metadata.version("torch"))
except importlib.metadata.PackageNotFoundError:
    pass
PY
}

have=""
if [ -x "$venv/bin/python" ]; then
    have="$(installed_torch_version)"
fi

if [ "${have%%+*}" = "$TORCH_VERSION" ]; then
    echo "setup-libtorch: $venv already has torch $have" >&2
else
    if [ ! -x "$venv/bin/python" ]; then
        echo "setup-libtorch: creating $venv with $("$python" --version 2>&1)" >&2
        "$python" -m venv "$venv"
    else
        echo "setup-libtorch: $venv has torch '${have:-none}', installing $TORCH_VERSION" >&2
    fi
    pip_args=(install --no-input "torch==$TORCH_VERSION")
    if [ -n "${TORCH_INDEX_URL:-}" ]; then
        pip_args+=(--index-url "$TORCH_INDEX_URL")
    fi
    # ~4 GB of wheels (torch + nvidia-*), about 3 minutes here. pip uses its cache ($PIP_CACHE_DIR)
    # and local wheel folders ($PIP_FIND_LINKS) as usual when the machine has them.
    "$venv/bin/python" -m pip "${pip_args[@]}" >&2
    have="$(installed_torch_version)"
    if [ "${have%%+*}" != "$TORCH_VERSION" ]; then
        echo "setup-libtorch: expected torch $TORCH_VERSION in $venv, found '${have:-none}'" >&2
        exit 1
    fi
fi

torch_lib="$("$venv/bin/python" -c 'import importlib.util, os
print(os.path.join(os.path.dirname(importlib.util.find_spec("torch").origin), "lib"))')"
if [ -e "$torch_lib/libtorch_cuda.so" ]; then
    echo "setup-libtorch: torch $have with CUDA (libtorch_cuda.so present) in $torch_lib" >&2
else
    echo "setup-libtorch: torch $have, CPU only, in $torch_lib" >&2
fi

# What the build needs. torch-sys runs `python` (or `python3`) from PATH to find torch, so the
# venv's bin/ goes first too; `source scripts/env.sh` sets all of this.
echo "export LIBTORCH_USE_PYTORCH=1"
echo "export LD_LIBRARY_PATH=$torch_lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
echo "export VIRTUAL_ENV=$venv PATH=$venv/bin:\$PATH"
