"""``python -m w2vcli`` is the same as the ``w2v`` command."""

from w2vcli.cli import main

if __name__ == "__main__":
    main()
