"""CloudFormation custom resource that attaches the CustomMessage trigger to a user pool the stack does not own."""
