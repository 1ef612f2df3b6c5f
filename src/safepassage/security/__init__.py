"""Protection: accounts, roles and the policy every service consults."""
