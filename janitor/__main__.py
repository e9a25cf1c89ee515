"""`python -m janitor`."""

from janitor.entry import main

if __name__ == "__main__":
    main()
