"""`python -m cognito_reset`, the same as the `cognito-reset` console script."""

from cognito_reset.cli import main

main()
