"""gateways/jimeng2api/models"""
