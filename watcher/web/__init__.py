"""« Le bureau »: the web desk of the coordinator, the board and the veille group (`watcher web`)."""
