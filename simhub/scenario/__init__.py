"""Scenarios: the OpenSCENARIO 1.x model, its readers (.xosc, simhub YAML) and checks."""
