"""What issuing a certificate needs, free of Flask and of any database: codes, identifiers, keys, signing."""
