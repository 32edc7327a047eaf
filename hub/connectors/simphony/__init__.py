"""Oracle MICROS Simphony through Transaction Services Gen1 (SOAP): menu import, purchases, status, orders.

Transaction Services reads configuration and checks but cannot write menu items or
discounts, so Simphony is always the master of product data: the hub imports its menu.
Configuration records arrive as XML documents embedded in string fields of the SOAP
reply (``ArrayOfDbMenuItemDefinition``, ``ArrayOfDbMenuItemPrice``), and a check's
detail likewise (``<Check><Summary/><DetailLines/></Check>``).

Modules: ``client`` (the WSDL, the endpoint and SOAP calls; the shipped WSDL is in ``wsdl/``),
``errors`` (the error table), ``embedded`` (the embedded XML), ``mapping`` (records to hub
menu items and purchases), ``orders`` (orders posted as checks), ``connector``.
"""

from hub.connectors.simphony.connector import SimphonyConnector

__all__ = ["SimphonyConnector"]
