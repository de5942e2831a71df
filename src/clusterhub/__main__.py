"""``python -m clusterhub``: the same command as the ``clusterhub`` console script."""

from clusterhub.cli.main import main

if __name__ == "__main__":
    main()
