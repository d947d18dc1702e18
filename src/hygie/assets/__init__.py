"""The inventory: servers, workstations, network gear, medical devices and connected objects."""
