"""simhub: control plane, simulation core and evaluation service of a motion-platform driving
simulator with interchangeable cabins. See ARCHITECTURE.md in the shared folder for the map."""

__version__ = "0.1.0"
