"""ID card readers. Every reader yields `IdentityDocument`s."""
