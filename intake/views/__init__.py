"""Intake views: the client's pages, staff review and exports."""
