/* SPDX-License-Identifier: MIT */
/*
 * USDT probes in the probe manager: a spec usdt:[MODULE:]PROVIDER:NAME
 * becomes one probe per site the symbol layer finds (the same provider and
 * name may be compiled in at many places, each with its own argument
 * locations). The sites of one key count as one: the first is the probe the
 * summary lists, the others add to it (up_probe.owner) and live in
 * c->sites. A site is a nop, so every hit is simulated: one stop.
 *
 * Semaphores: a probe built with one runs its argument-preparing code only
 * while the 2-byte counter is non-zero. It is incremented once in each
 * traced process whose probe uses it, when the probe is placed (before
 * any of the module's code runs when uptrace started the program, as
 * libraries are armed at the dynamic linker's load event), and
 * decremented at detach. A followed child (-f) inherits the increment with
 * its copy of memory and is decremented at detach; a child let go untraced
 * gets it back with its original text (usdt_child_patches).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"
#include "uptrace/sym.h"

/* One site found, kept while the spec's sites are placed. */
struct usdt_found {
	char provider[UP_NAME_MAX], name[UP_NAME_MAX];
	const char *module; /* interned: lives as long as the symbol table */
	char func[UP_FUNC_MAX];
	uint64_t addr, semaphore;
	unsigned nargs;
	struct up_arg args[UP_USDT_MAX_ARGS];
	char args_error[256];
};

struct usdt_list {
	struct usdt_found *v;
	unsigned n, cap;
};

static int collect_site(void *ctx, const struct up_usdt_site *site)
{
	struct usdt_list *l = ctx;
	struct usdt_found *f;

	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 8;
		struct usdt_found *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	f = &l->v[l->n++];
	snprintf(f->provider, sizeof(f->provider), "%s", site->provider);
	snprintf(f->name, sizeof(f->name), "%s", site->name);
	f->module = site->module;
	snprintf(f->func, sizeof(f->func), "%s", site->func.func);
	f->addr = site->addr;
	f->semaphore = site->semaphore;
	f->nargs = site->nargs;
	memcpy(f->args, site->args, sizeof(f->args));
	snprintf(f->args_error, sizeof(f->args_error), "%s", site->args_error);
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The process whose memory is selected now: the one resolving (a library load's thread). */
static pid_t current_pid(struct up_core *c)
{
	struct up_thread *th = thread_find(c, c->stopped_tid);

	return th && th->pid > 0 ? th->pid : c->t->pid;
}

/* Add one to the 2-byte semaphore at addr in the current process, once per process. */
static int semaphore_acquire(struct up_core *c, uint64_t addr, const char *key)
{
	pid_t pid = current_pid(c);
	uint16_t v;
	int err;

	for (unsigned i = 0; i < c->nsemaphores; i++)
		if (c->semaphores[i].addr == addr && c->semaphores[i].pid == pid)
			return 0;
	if (c->nsemaphores == c->semaphores_cap) {
		unsigned cap = c->semaphores_cap ? c->semaphores_cap * 2 : 8;
		struct usdt_semaphore *n = realloc(c->semaphores, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->semaphores = n;
		c->semaphores_cap = cap;
	}
	err = c->t->ops->read(c->t, addr, &v, sizeof(v));
	if (!err && v == UINT16_MAX)
		err = -EOVERFLOW;
	if (!err) {
		v++;
		err = c->t->ops->write(c->t, addr, &v, sizeof(v));
	}
	if (err) {
		core_error(c, "probe '%s': cannot enable its semaphore at 0x%llx: %s", key,
			   (unsigned long long)addr, strerror(-err));
		return err;
	}
	c->semaphores[c->nsemaphores++] = (struct usdt_semaphore){.addr = addr, .pid = pid};
	return 0;
}

/* Subtract the one we added, never below 0 (the program may have written it meanwhile). */
static int semaphore_release(struct up_core *c, const struct usdt_semaphore *s)
{
	uint16_t v;
	int err;

	err = c->t->ops->read(c->t, s->addr, &v, sizeof(v));
	if (err || v == 0)
		return err;
	v--;
	return c->t->ops->write(c->t, s->addr, &v, sizeof(v));
}

/* A probe's arguments: the spec's, with $argN read as the note's Nth argument. */
static int site_args(struct up_core *c, const struct up_spec *spec, const struct usdt_found *f,
		     struct up_probe *p)
{
	if (spec->nargs == 0) {
		if (f->args_error[0]) {
			core_warn(c,
				  "%s at 0x%llx: its arguments cannot be read (%s); counting its "
				  "hits only",
				  p->key, (unsigned long long)f->addr, f->args_error);
			return 0;
		}
		p->nargs = f->nargs < UP_MAX_ARGS ? f->nargs : UP_MAX_ARGS;
		memcpy(p->args, f->args, p->nargs * sizeof(p->args[0]));
		if (f->nargs > UP_MAX_ARGS)
			core_warn(c,
				  "%s has %u arguments: showing $arg1..$arg%d (name others as "
				  "ARGs: 'usdt:%s:%s $arg%u')",
				  p->key, f->nargs, UP_MAX_ARGS, f->provider, f->name, f->nargs);
		return 0;
	}
	for (unsigned i = 0; i < spec->nargs; i++) {
		const struct up_spec_arg *sa = &spec->args[i];
		struct up_arg *a = &p->args[i];
		int err;

		if (sa->kind != UP_EXPR_ARGN) {
			err = resolve_arg(c, spec, sa, p, p->addr, a);
			if (err)
				return err;
			continue;
		}
		if (f->args_error[0]) {
			core_error(c, "probe '%s' at 0x%llx: %s", p->key,
				   (unsigned long long)f->addr, f->args_error);
			return -EINVAL;
		}
		if (sa->argn > f->nargs) {
			core_error(c, "probe '%s': $arg%u: the probe has %u argument%s (%s)",
				   p->key, sa->argn, f->nargs, f->nargs == 1 ? "" : "s",
				   f->nargs ? "see uptrace -l 'usdt:*'" : "none");
			return -EINVAL;
		}
		*a = f->args[sa->argn - 1];
		snprintf(a->name, sizeof(a->name), "%s", sa->name);
		if (sa->has_type)
			a->type = sa->type;
	}
	p->nargs = spec->nargs;
	return 0;
}

/* The probe of one site, its key and arguments; NULL with the error reported. */
static struct up_probe *site_probe(struct up_core *c, const struct up_spec *spec,
				   const struct usdt_found *f, bool module_in_key)
{
	struct up_probe *p = calloc(1, sizeof(*p));
	int n;

	if (!p) {
		core_error(c, "out of memory");
		return NULL;
	}
	if (module_in_key)
		n = snprintf(p->key, sizeof(p->key), "usdt:%s:%s:%s", base_name(f->module),
			     f->provider, f->name);
	else
		n = snprintf(p->key, sizeof(p->key), "usdt:%s:%s", f->provider, f->name);
	if (n < 0 || (size_t)n >= sizeof(p->key)) {
		core_error(c, "probe 'usdt:%s:%s': name too long", f->provider, f->name);
		free(p);
		return NULL;
	}
	snprintf(p->func, sizeof(p->func), "%s", f->func);
	p->module = f->module;
	p->addr = f->addr;
	if (site_args(c, spec, f, p) || pred_bind(c, &spec->pred, p) || hist_bind(c, p)) {
		free(p);
		return NULL;
	}
	return p;
}

/* The probe a site of this key counts into, placed before (now or before an exec). */
static struct up_probe *key_owner(struct up_core *c, const char *key)
{
	for (unsigned i = 0; i < c->nprobes; i++)
		if (!c->probes[i]->retired && !strcmp(c->probes[i]->key, key))
			return c->probes[i];
	return NULL;
}

static int add_site(struct up_core *c, struct up_probe *p)
{
	if (c->nsites == c->sites_cap) {
		unsigned cap = c->sites_cap ? c->sites_cap * 2 : 16;
		struct up_probe **n = realloc(c->sites, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->sites = n;
		c->sites_cap = cap;
	}
	c->sites[c->nsites++] = p;
	return 0;
}

/*
 * Place one site: its probe on its point, listed as its key's probe or as
 * a site counting into it; then its semaphore. first_of_key: no probe of
 * this key was placed by this spec yet (one from before an exec revives).
 */
static int place_site(struct up_core *c, struct up_probe *p, const struct usdt_found *f,
		      bool first_of_key)
{
	struct up_probe *owner = first_of_key ? NULL : key_owner(c, p->key);
	struct up_probe *old = owner ? NULL : resolve_revive(c, p->key);
	int err;

	if (old) {
		uint64_t hits = old->hits, hist[UP_HIST_BUCKETS], vhist[UP_VHIST_BUCKETS];

		memcpy(hist, old->hist, sizeof(hist));
		memcpy(vhist, old->vhist, sizeof(vhist));
		*old = *p;
		old->hits = hits;
		memcpy(old->hist, hist, sizeof(hist));
		memcpy(old->vhist, vhist, sizeof(vhist));
		free(p);
		p = old;
		err = point_add_probe(c, p->addr, p, false);
		if (err) {
			p->retired = true;
			return err;
		}
	} else {
		p->owner = owner;
		err = owner ? add_site(c, p) : resolve_reserve(c);
		if (!err)
			err = point_add_probe(c, p->addr, p, false);
		if (err) {
			if (owner)
				c->nsites--;
			free(p);
			return err;
		}
		if (!owner)
			c->probes[c->nprobes++] = p;
	}
	return f->semaphore ? semaphore_acquire(c, f->semaphore, p->key) : 0;
}

int resolve_usdt(struct up_core *c, struct pending_spec *ps, bool final)
{
	const struct up_spec *spec = &ps->spec;
	const char *mod = spec->module;
	bool glob = strpbrk(spec->usdt_provider, "*?[") || strpbrk(spec->usdt_name, "*?[");
	struct usdt_list found = {0};
	bool several_modules = false;
	unsigned placed = 0;
	int n, err = 0;

	/* Without a module the sites in libraries count too: wait until they are loaded. */
	if (!mod && !final)
		return 1;
	n = up_sym_usdt_sites(c->sym, mod, spec->usdt_provider, spec->usdt_name, collect_site,
			      &found);
	if (n < 0) {
		core_error(c, "cannot read the USDT probes of %s: %s", mod ? mod : c->t->exe,
			   strerror(-n));
		free(found.v);
		return n;
	}
	if (found.n == 0) {
		core_error(c, "no USDT probe matching '%s:%s' in %s%s", spec->usdt_provider,
			   spec->usdt_name, mod ? mod : c->t->exe, mod ? "" : " or its libraries");
		return -ENOENT;
	}
	for (unsigned i = 1; i < found.n; i++)
		several_modules |= strcmp(found.v[i].module, found.v[0].module) != 0;
	for (unsigned i = 0; i < found.n && !err; i++) {
		const struct usdt_found *f = &found.v[i];
		struct up_probe *p = site_probe(c, spec, f, several_modules);
		bool first = true;

		if (!p) {
			err = -EINVAL;
		} else {
			for (unsigned j = 0; j < i && first; j++)
				first = strcmp(found.v[j].module, f->module) ||
					strcmp(found.v[j].provider, f->provider) ||
					strcmp(found.v[j].name, f->name);
			err = place_site(c, p, f, first);
		}
		if (err && glob && err != -ENOMEM && c->err && c->err[0]) {
			core_warn(c, "skipping %s", c->err);
			c->err[0] = '\0';
			err = 0;
			continue;
		}
		placed += !err;
	}
	if (!err && !placed) {
		core_error(c, "none of the %u USDT probes matching '%s:%s' can be probed", found.n,
			   spec->usdt_provider, spec->usdt_name);
		err = -ENOTSUP;
	}
	free(found.v);
	return err;
}

void usdt_fork(struct up_core *c, pid_t parent, pid_t child)
{
	unsigned n = c->nsemaphores;

	for (unsigned i = 0; i < n; i++) {
		if (c->semaphores[i].pid != parent)
			continue;
		if (c->nsemaphores == c->semaphores_cap) {
			unsigned cap = c->semaphores_cap * 2;
			struct usdt_semaphore *m = realloc(c->semaphores, cap * sizeof(*m));

			if (!m)
				return; /* the child keeps our increment: it only runs its guarded
					   code */
			c->semaphores = m;
			c->semaphores_cap = cap;
		}
		c->semaphores[c->nsemaphores++] =
		    (struct usdt_semaphore){.addr = c->semaphores[i].addr, .pid = child};
	}
}

void usdt_process_gone(struct up_core *c, pid_t pid)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < c->nsemaphores; i++)
		if (c->semaphores[i].pid != pid)
			c->semaphores[kept++] = c->semaphores[i];
	c->nsemaphores = kept;
}

int usdt_child_patches(struct up_core *c, pid_t parent, struct up_patch *patches, int *n, int max)
{
	for (unsigned i = 0; i < c->nsemaphores; i++) {
		const struct usdt_semaphore *s = &c->semaphores[i];
		uint16_t v;

		if (s->pid != parent || c->t->ops->read(c->t, s->addr, &v, sizeof(v)) || v == 0)
			continue;
		if (*n == max)
			return -E2BIG;
		v--;
		patches[*n].addr = s->addr;
		memcpy(patches[*n].bytes, &v, sizeof(v));
		patches[*n].len = sizeof(v);
		(*n)++;
	}
	return 0;
}

int usdt_release_all(struct up_core *c)
{
	int ret = 0;

	for (unsigned i = 0; i < c->nsemaphores; i++) {
		const struct usdt_semaphore *s = &c->semaphores[i];
		int err;

		if (c->nchildren || s->pid != c->t->pid)
			c->t->ops->select_space(c->t, s->pid);
		err = semaphore_release(c, s);
		if (err && err != -ESRCH && !ret)
			ret = err;
	}
	if (c->nchildren)
		c->t->ops->select_space(c->t, c->t->pid);
	c->nsemaphores = 0;
	return ret;
}

void usdt_exec(struct up_core *c)
{
	for (unsigned i = 0; i < c->nsites; i++)
		free(c->sites[i]);
	c->nsites = 0;
	usdt_process_gone(c, c->t->pid);
}

void usdt_destroy(struct up_core *c)
{
	for (unsigned i = 0; i < c->nsites; i++)
		free(c->sites[i]);
	free(c->sites);
	free(c->semaphores);
}
