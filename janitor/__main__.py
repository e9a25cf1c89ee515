"""`python -m janitor`."""

from janitor.cli import main

if __name__ == "__main__":
    main()
