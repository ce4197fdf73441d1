"""`textsweep explain MODEL_URI TEXT...`: which words drive a prediction (textsweep.pipeline.explain computes,
textsweep.rendering.explanations draws)."""


def main(argv: list[str]) -> int:
    import argparse
    import os
    import sys

    from textsweep.errors import ConfigError
    from textsweep.pipeline.explain import METHODS, explain_text
    from textsweep.rendering.explanations import to_html, to_terminal
    from textsweep.serving import load_classifier

    p = argparse.ArgumentParser(prog="textsweep explain", description="Which words drive a prediction.")
    p.add_argument("model_uri", help="runs:/<run_id>/model, models:/<name>@champion, models:/m-<id>, or a local folder")
    p.add_argument("texts", nargs="+", help="texts to explain, one argument each")
    p.add_argument("--method", choices=METHODS, default="occlusion",
                   help="occlusion (default: drop one word at a time), integrated_gradients, or prefix (read word by word)")
    p.add_argument("--target", help="class the contributions refer to (default: the predicted class)")
    p.add_argument("--html", help="also write a highlighted, self-contained page here")
    p.add_argument("--tracking-uri", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else textsweep's local store)")
    args = p.parse_args(argv)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow

    from textsweep.tracking.runs import command_tracking_uri

    if args.model_uri.startswith(("runs:/", "models:/")):  # these live in a store: an existing one, never a new one
        from textsweep.tracking.readonly import mlflow_client

        mlflow_client(args.tracking_uri, f"model {args.model_uri!r}")
    else:
        mlflow.set_tracking_uri(command_tracking_uri(args.tracking_uri))
    from textsweep.errors import TextsweepError

    try:
        classifier = load_classifier(args.model_uri)  # never unpickled
    except TextsweepError:
        raise
    except Exception as e:
        raise ConfigError(f"cannot load model {args.model_uri} ({str(e).strip().splitlines()[0][:200]}): check the URI") from None
    if args.target is not None and args.target not in classifier.class_names:
        raise ConfigError(f"--target {args.target!r} is not a class: use one of {', '.join(classifier.class_names)}")
    colour = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None or os.environ.get("FORCE_COLOR") is not None
    try:
        explanations = [explain_text(classifier, text, args.method, args.target) for text in args.texts]
    except ValueError as e:
        raise ConfigError(str(e)) from None
    from textsweep.config.masking import unmasked

    for e in explanations:
        print(to_terminal(e, colour), file=unmasked(sys.stdout))  # the user's words, as they came in
    if args.html:
        with open(args.html, "w", encoding="utf-8") as f:
            f.write(to_html(explanations, f"textsweep explain ({args.method})"))
        print(f"wrote {args.html}", file=sys.stderr)
    return 0
