"""gateways/families"""
