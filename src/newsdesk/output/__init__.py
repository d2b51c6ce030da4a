"""An issue rendered: email, blog post, archive and the static site, from templates/."""
