"""The project package and the platform every feature stands on."""
