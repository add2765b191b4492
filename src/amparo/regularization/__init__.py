"""Regularization: programmes published per jurisdiction, filing, evidence, certificates of pending
application, employer invitations, the caseworker queue, decisions checked by the safeguards engine,
supervisor sign-off and appeals. Services in `service` and `flows`; HTTP routes in `views`."""
