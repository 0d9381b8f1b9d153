"""ccpipe: contact-center analytics pipeline (FCR, CSAT, NPS, CES marts)."""
