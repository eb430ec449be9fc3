"""The text debug-python serves; edit it while `devloop debug` runs."""


def text():
    return "Hello from Python (debug-python)"
