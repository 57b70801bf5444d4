"""Research tools: they train and measure the recipes and write the result files in docs/results/.

Run from the repository root, e.g. `python -m research.seeds --help`; see research/README.md.
Nothing in gan_utils or the notebooks imports this package.
"""
