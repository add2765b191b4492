"""People: the person at the centre of every case, with names as written in their documents."""
