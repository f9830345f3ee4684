"""accountleader: from managing accounts to leading them."""

__version__ = "0.1.0"
