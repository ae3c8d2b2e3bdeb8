"""The reset function: validates a reset request and calls Cognito's AdminResetUserPassword with ClientMetadata."""
