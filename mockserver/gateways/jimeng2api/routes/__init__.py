"""gateways/jimeng2api/routes"""
