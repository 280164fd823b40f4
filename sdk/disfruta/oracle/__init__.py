"""The KYC and credit oracle service: ``disfruta oracle serve`` runs ``disfruta.oracle.app.create_app``."""
