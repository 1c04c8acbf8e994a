"""The measures pages: the client's check-ins and progress, the staff trend and caseload."""
