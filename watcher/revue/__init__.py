"""The public revue de presse: what the collective's website shows of the press, built from the store."""
