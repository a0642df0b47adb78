"""Storage of the veille: the only package that speaks SQL."""
