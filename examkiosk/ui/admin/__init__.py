"""The venue administrator's station screen: package import, bundle export, status."""
