"""`cognito-reset`: the operator's command line for the deployed stack (or the local system)."""
