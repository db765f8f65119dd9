"""Federation: the endpoint peers talk to (``/fed/v1``) and the sender loops that deliver
this node's logs to them. Both speak the signed batch protocol; neither knows the officers'
API or the console."""
