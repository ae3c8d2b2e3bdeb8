"""CloudFormation custom resources for user pools: attach the CustomMessage trigger to a pool the stack does not own,
take it off a pool the stack retains, and read how a pool sends e-mail."""
