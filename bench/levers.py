"""Other speed levers, each against the same architecture's baseline: jit_compile, tf.data input, threads,
mixed precision, and the LSTM without cuDNN.

    python bench/levers.py [--train 1000] [--epochs 4] [--rounds 2] [--variants jit,prefetch,...] [--json out.json]
    python bench/levers.py --variants mixed_float16,generic_lstm        (the GPU levers: run it on a GPU)

Each measurement is a fresh process (thread settings only apply before TensorFlow starts), fitting
--epochs epochs on random IMDB-shaped ids (maxlen 500) with the preset's embedding, optimizer and batch
size; the steady-state figure is the fastest later epoch's training samples/s (epoch 1 also pays tracing
and XLA compilation, reported as first_epoch_s). Each lever runs right after a baseline run of the same architecture, and
the ratio is the median over the rounds of those pairs: this machine's speed drifts between about 240
and 640 samples/s over minutes, which unpaired means cannot resolve. A lever is worth keeping when
its ratio is clearly above 1 in every pair.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ARCHITECTURES = {  # name: textsweep overrides
    "lstm (tutorial)": ["experiment=imdb_article", "model=lstm"],
    "cnn_lstm": ["experiment=imdb_article", "model=cnn_lstm"],
    "conv1d_gap (Keras docs)": ["experiment=keras_docs_conv1d"],
}
VARIANTS = {  # key: (what it is, architectures it runs on, settings)
    "baseline": ("baseline: NumPy arrays to fit, Keras defaults", list(ARCHITECTURES), {}),
    "jit": ("jit_compile=True (XLA)", list(ARCHITECTURES), {"jit": True}),
    "prefetch": ("tf.data shuffle+batch+prefetch", ["lstm (tutorial)"], {"input": "prefetch"}),
    "cache": ("tf.data cache+shuffle+batch+prefetch", ["lstm (tutorial)"], {"input": "cache"}),
    "batch_hook": ("a callback reading the loss after every batch (TerminateOnNaN-style)", ["lstm (tutorial)"],
                   {"batch_hook": True}),
    "intra1": ("intra_op threads=1", ["lstm (tutorial)"], {"intra": 1}),
    "inter1": ("inter_op threads=1", ["lstm (tutorial)"], {"inter": 1}),
    # GPU levers. On a CPU float16 is emulated, and Keras's LSTM has one kernel whatever use_cudnn says.
    "mixed_float16": ("mixed precision (mixed_float16 policy)", ["lstm (tutorial)", "cnn_lstm"],
                      {"policy": "mixed_float16"}),
    "generic_lstm": ("LSTM without cuDNN (use_cudnn=False: the kernel recurrent_dropout > 0 falls back to)",
                     ["lstm (tutorial)"], {"use_cudnn": False}),
}


def measure(spec: dict) -> dict:
    """In the child process: fit 2 epochs as `spec` says; epoch times."""
    import tensorflow as tf

    if spec.get("intra"):
        tf.config.threading.set_intra_op_parallelism_threads(spec["intra"])
    if spec.get("inter"):
        tf.config.threading.set_inter_op_parallelism_threads(spec["inter"])
    import keras
    import numpy as np
    from omegaconf import OmegaConf

    from textsweep.config.compose import compose_config
    from textsweep.pipeline.model import build_model, compile_model

    cfg = compose_config([*spec["overrides"], "dataset.maxlen=500"])
    rng = np.random.default_rng(0)
    n, vocab, batch = spec["train"], cfg.dataset.max_tokens, cfg.trainer.batch_size
    x, y = rng.integers(1, vocab, size=(n, 500), dtype=np.int32), rng.integers(0, 2, size=n).astype(np.float32)
    keras.utils.set_random_seed(0)
    if spec.get("policy"):
        keras.mixed_precision.set_global_policy(spec["policy"])
    model = build_model(OmegaConf.to_container(cfg.model.blocks, resolve=True), vocab_size=vocab,
                        embedding_dim=cfg.embedding.dim, trainable_embedding=True, maxlen=500, num_classes=2)
    compile_model(model, cfg.trainer.optimizer, cfg.trainer.learning_rate, 2)
    if "use_cudnn" in spec:
        for layer in model.layers:
            if isinstance(layer, keras.layers.LSTM):
                layer.use_cudnn = spec["use_cudnn"]  # read when fit() traces the layer's call
    if spec.get("jit"):
        model.compile(optimizer=model.optimizer, loss=model.loss, metrics=["accuracy"], jit_compile=True)
    if spec.get("input"):
        data = tf.data.Dataset.from_tensor_slices((x, y))
        if spec["input"] == "cache":
            data = data.cache()
        data = data.shuffle(n).batch(batch).prefetch(tf.data.AUTOTUNE)
        inputs = {"x": data}
    else:
        inputs = {"x": x, "y": y, "batch_size": batch}
    times = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t)

    class ReadLoss(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            float(logs["loss"])

    callbacks = [EpochTimer(), *([ReadLoss()] if spec.get("batch_hook") else [])]
    model.fit(**inputs, epochs=spec["epochs"], verbose=0, callbacks=callbacks)
    # the fastest steady epoch: interference from the rest of the machine only ever slows an epoch down
    return {"first_epoch_s": times[0], "samples_per_s": n / min(times[1:]),
            "gpu": bool(tf.config.list_physical_devices("GPU"))}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--train", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--epochs", type=int, default=4, help="per measurement; the first is not counted")
    p.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    p.add_argument("--json")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print("RESULT " + json.dumps(measure(json.loads(args.child))))
        return
    chosen = [v for v in args.variants.split(",") if v != "baseline"]
    pairs = {(v, a): [] for v in chosen for a in VARIANTS[v][1]}

    def child(variant: str, arch: str) -> dict:
        spec = {**VARIANTS[variant][2], "overrides": ARCHITECTURES[arch], "train": args.train, "epochs": args.epochs}
        out = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True,
                             check=True).stdout
        return json.loads(out.split("RESULT ", 1)[1])

    for _ in range(args.rounds):
        for (variant, arch), results in pairs.items():
            # the baseline right before each lever: this machine's speed drifts over minutes, not seconds
            results.append({"baseline": child("baseline", arch), "lever": child(variant, arch)})
    device = "GPU" if any(r["lever"]["gpu"] for results in pairs.values() for r in results) else "CPU"
    print(f"device: {device}")
    table = []
    for (variant, arch), results in pairs.items():
        ratios = [r["lever"]["samples_per_s"] / r["baseline"]["samples_per_s"] for r in results]
        table.append({"variant": VARIANTS[variant][0], "architecture": arch,
                      "baseline_samples_per_s": [round(r["baseline"]["samples_per_s"], 1) for r in results],
                      "samples_per_s": [round(r["lever"]["samples_per_s"], 1) for r in results],
                      "first_epoch_s": [round(r["lever"]["first_epoch_s"], 1) for r in results],
                      "baseline_first_epoch_s": [round(r["baseline"]["first_epoch_s"], 1) for r in results],
                      "ratios": [round(x, 3) for x in ratios], "ratio_to_baseline": round(statistics.median(ratios), 3)})
    print("| architecture | lever | samples/s, lever vs baseline (each pair) | first epoch s, lever vs baseline | "
          "ratio (median of pairs) |\n|---|---|---|---|---|")
    for row in sorted(table, key=lambda r: list(ARCHITECTURES).index(r["architecture"])):
        speeds = ", ".join(f"{a:.0f} vs {b:.0f}" for a, b in zip(row["samples_per_s"], row["baseline_samples_per_s"]))
        firsts = ", ".join(f"{a} vs {b}" for a, b in zip(row["first_epoch_s"], row["baseline_first_epoch_s"]))
        print(f"| {row['architecture']} | {row['variant']} | {speeds} | {firsts} | {row['ratio_to_baseline']:.3f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"train": args.train, "rounds": args.rounds, "device": device, "rows": table},
                                              indent=2))


if __name__ == "__main__":
    main()
