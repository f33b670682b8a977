"""Infopositie: the shared information picture on online crime in Midden-Nederland."""
