"""Seek: bring things in (feeds, read-later pages). Pure parsers plus the services that store them."""
