"""gateways/kit"""
