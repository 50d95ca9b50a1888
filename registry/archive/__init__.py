"""The archive: records (certificates, documents stamped or handed over for a service item) filed as BagIt
packages with their evidence under each service item's filing parameters, held, and disposed of at the end
of their retention."""
