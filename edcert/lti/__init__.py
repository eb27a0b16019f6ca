"""What LTI 1.3 / LTI Advantage code on both sides shares: claim names, message types, scopes, media types, roles."""
