"""The web layer: HTTP only. Public pages, the desk and login call the features' functions;
the public web and the desk never import each other."""
