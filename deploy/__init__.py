"""Running Digit Lab for many: several app servers behind a load balancer (python -m deploy.balanced)."""
