"""Operations on a site: the command-line tasks, health checks, backup and restore, the JSON
export and import. Sits on top: may import features, kernel and markup; never the web layer."""
