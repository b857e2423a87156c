"""identity: alias closure and profile merge rules (the identity graph is the one part done in Python)."""
