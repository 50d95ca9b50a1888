"""Cross-department sharing: service items and sharing policies, holders' consents, annotated copies, statistics.

A relying agency asks for a holder's certificates of a type for a named service item. It gets them only
where an active policy for (agency, type, service item) exists and, if the policy says so, the holder
has consented; and then only the fields the policy names, as annotated copies signed by the registry.
Every request, granted or refused, is exactly one access-log entry, which the holder sees.

`policies` (the admin's service items and policies), `consents` (the holder's), `grants` (the decision
on a request and the copies it makes), `statistics` (paper submissions avoided).
"""
