"""One module per area of the desk; each handler calls library functions and renders a template."""
