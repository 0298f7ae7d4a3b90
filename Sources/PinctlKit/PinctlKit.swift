// Nothing here yet: the library starts in the next commit.
