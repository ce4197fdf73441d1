"""The one masking function for secrets in any text textsweep writes: params, tags, yaml, logs, errors.

Three shapes of secret reach text:
- a URL's password, `scheme://user:PASSWORD@host`, in any scheme. The user may be empty (`://:PASSWORD@`,
  PostgreSQL then takes the user from `?user=`); the password may hold quotes, percent-escapes or a raw `@`
  (an unescaped URL), so it runs to the *last* `@` of the word: a tail after the first `@` is masked too;
- a query or option value, `?password=...`, `&token=...`;
- a credential-like key with a value, `tracking.password=...` (an override) or `password: ...` (yaml).
A URL percent-encoded as a whole (`postgresql%3A%2F%2Fuser%3Asecret%40host`, as a URL passed inside another
URL's query or a form field) hides the same two URL shapes behind escapes: they are matched escaped too.
Masking too much is harmless; showing a password is not. Imports nothing heavy (errors.py uses it).

`has_secret` is the same rule as a test: a sweep refuses to search over a value it holds (Optuna's storage
keeps every choice and sampled value as is, where no mask can reach).
"""

import logging
import re
import sys
from contextlib import contextmanager
from urllib.parse import unquote

SECRET_WORDS = r"(?:password|passwd|pwd|secret|secret[_-]?key|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)"
SECRET_NAME = re.compile(rf"(^|[._])(?:{SECRET_WORDS})$", re.I)
MASK = "***"
# user (possibly empty) ':' password '@', the password running to the word's last '@' (quotes included)
_URL_PASSWORD = re.compile(r"(://[^:/@\s'\"]*:)(?!\*\*\*@)\S*@")
# the same, percent-encoded as a whole: %3A%2F%2F user %3A password %40, the password running to the word's last %40
_ENCODED_URL_PASSWORD = re.compile(r"(%3A%2F%2F(?:(?!%3A|%2F|%40)[^\s'\"/@:%]|%(?!3A|2F|40)[0-9A-F]{2})*%3A)(?!\*\*\*%40)\S*%40", re.I)
# ...and its query: %3F or %26, a credential-like name, %3D, the value up to the next escaped & or ;
_ENCODED_KEY_VALUE = re.compile(rf"((?:%3F|%26|%3B)[\w.-]*{SECRET_WORDS}%3D)(?!\*\*\*)((?:(?!%26|%3B)[^\s&;'\"])+)", re.I)
_KEY = rf"(?:^|(?<=[\s?&;,'\"{{(\[.+~_-]))[\w.-]*{SECRET_WORDS}['\"]?\s*[=:]\s*"
# a quoted value runs to its closing quote, spaces included (`+tracking.token='two words'`)
_KEY_QUOTED = re.compile(rf"({_KEY}(['\"]))(?!\*\*\*\2)([^\n]*?)(?=\2)", re.I | re.M)
# else the value runs to the next separator; a quote inside it (`token=ab'cd`) does not end it, a closing one does
_KEY_VALUE = re.compile(rf"({_KEY}['\"]?)(?!\*\*\*)([^\s&;,'\"}})\]]+(?:['\"][^\s&;,'\"}})\]]+)*)", re.I | re.M)


def mask_secrets(text, *urls: str):
    """`text` with every password-like value replaced by ***; non-strings are returned unchanged.

    urls: the URLs the text may be about (an error from connecting to them). A driver that split a password
    holding a raw `@` at its first `@` reports the tail as part of the host (`could not resolve "tail@host"`),
    which no pattern can tell from a host name: the tails of these URLs' passwords are masked wherever they
    appear."""
    if not isinstance(text, str) or not text:
        return text
    for url in urls:
        password = _password_of(url)
        for form in {password, unquote(password)} if password else ():  # a driver may show it decoded
            text = text.replace(form, MASK)
            for tail in form.split("@")[1:]:
                if tail:
                    text = text.replace(tail + "@", MASK + "@")
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + "@", text)
    if "%" in text:
        text = _ENCODED_URL_PASSWORD.sub(lambda m: m.group(1) + MASK + "%40", text)
        text = _ENCODED_KEY_VALUE.sub(lambda m: m.group(1) + MASK, text)
    text = _KEY_QUOTED.sub(lambda m: m.group(1) + MASK, text)
    return _KEY_VALUE.sub(lambda m: m.group(1) + MASK, text)


def has_secret(text) -> bool:
    """Whether `mask_secrets` would hide something in `text` (any value, as text)."""
    text = str(text)
    return mask_secrets(text) != text


def _password_of(url) -> str:
    """The password of `scheme://user:password@host...`, up to the last `@` of the authority."""
    if not isinstance(url, str) or "://" not in url:
        return ""
    rest = url.split("://", 1)[1]
    userinfo = rest.rsplit("@", 1)[0] if "@" in rest else ""
    return userinfo.split(":", 1)[1] if ":" in userinfo else ""


class _MaskingRecordFactory:
    """Log records with their message masked, whatever handler Hydra or a launcher configures later
    (Hydra's launchers log each job's override line: a cron log would keep a password)."""

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, *args, **kwargs):
        record = self.inner(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: let logging report it as it would
            return record
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return record


def mask_logs() -> None:
    """Mask secrets in every log record from now on, in this process (idempotent)."""
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _MaskingRecordFactory):
        logging.setLogRecordFactory(_MaskingRecordFactory(factory))


class _MaskingStream:
    """A text stream that masks what is written to it and passes everything else to the stream it wraps."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        self._stream.write(mask_secrets(text))
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def __getattr__(self, name):  # fileno, isatty, flush, buffer, encoding...
        return getattr(self._stream, name)


@contextmanager
def masked_streams():
    """sys.stdout and sys.stderr masked while the block runs: what libraries print (Hydra's `--cfg job`,
    argparse's usage errors, MLflow's and Optuna's own lines) goes through the same rule as logs. A write is
    masked as a whole: print() writes a line in one call. TensorFlow's C++ writes to fd 2 bypass it (they
    hold no URLs)."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _MaskingStream(sys.stdout), _MaskingStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def unmasked(stream):
    """The stream under a masking one: for a command's data output (predict's rows, explain's words), which
    is the user's own text and must come out as it went in ("my password=... film" is a review, not a log)."""
    return getattr(stream, "_stream", stream) if isinstance(stream, _MaskingStream) else stream
